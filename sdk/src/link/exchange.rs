//! One exchange on a link: a request and its answer, or one unsolicited message.

use super::{DeadlineDeferral, ErrorCode, FrameKind, LinkError, OwnedFrame};
use std::time::Duration;

/// An exchange on a [`Link`](super::Link): frames in order in both directions, each side
/// finishing after its last ([QUIC-6]).
#[derive(Debug)]
#[non_exhaustive]
// QUIC is the large and the common variant: boxing it would cost an allocation per request
// on the hot path to save bytes only on BLE exchanges, which are few.
#[allow(clippy::large_enum_variant)]
pub enum Exchange {
    /// A bidirectional QUIC stream.
    Quic(orbit_quic::Exchange),
    /// An exchange of SDUs on a BLE link ([BLE-15], [BLE-16]).
    Ble(
        orbit_ble::link::Exchange,
        std::sync::Arc<super::SessionGuard>,
    ),
}

/// Holds a link's unauthenticated deadline off while a pairing handshake runs ([QUIC-40],
/// [BLE-37]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Deferral {
    /// On a QUIC connection.
    Quic(DeadlineDeferral),
    /// On a BLE link.
    Ble(super::BleDeferral),
}

/// A BLE message as the frame every transport carries (same kinds, [BLE-15]).
pub(super) fn owned(m: orbit_ble::link::Message) -> OwnedFrame {
    OwnedFrame {
        kind: FrameKind(m.kind),
        payload: bytes::Bytes::from(m.payload),
    }
}

/// A [QUIC-13] code as the one byte a BLE RESET carries; a code above 255 (none is defined)
/// reads as the generic failure `malformed-frame`.
fn ble_code(code: ErrorCode) -> u8 {
    u8::try_from(code.0).unwrap_or(2)
}

impl Exchange {
    /// Sends one frame.
    pub async fn send_frame(&mut self, kind: FrameKind, payload: &[u8]) -> Result<(), LinkError> {
        match self {
            Exchange::Quic(e) => Ok(e.send_frame(kind, payload).await?),
            Exchange::Ble(e, _) => Ok(e.send_frame(kind.0, payload).await?),
        }
    }

    /// The next frame from the peer; `Ok(None)` once the peer has finished its side. A bad
    /// frame or a stall abandons the exchange and returns the error.
    pub async fn recv_frame(&mut self) -> Result<Option<OwnedFrame>, LinkError> {
        match self {
            Exchange::Quic(e) => Ok(e.recv_frame().await?),
            Exchange::Ble(e, _) => Ok(e.recv_frame().await?.map(owned)),
        }
    }

    /// The next frame if it (or the end) has already arrived, without waiting: `None` when
    /// more must come. A later receive carries on where this one stopped.
    pub fn try_recv_frame(&mut self) -> Option<Result<Option<OwnedFrame>, LinkError>> {
        match self {
            Exchange::Quic(e) => e.try_recv_frame().map(|r| r.map_err(LinkError::from)),
            Exchange::Ble(e, _) => e
                .try_recv_frame()
                .map(|r| r.map(|m| m.map(owned)).map_err(LinkError::from)),
        }
    }

    /// [`Exchange::recv_frame`] bounded by `limit`: `None` if no frame (and no end) came in
    /// time.
    pub async fn recv_frame_within(
        &mut self,
        limit: Duration,
    ) -> Option<Result<Option<OwnedFrame>, LinkError>> {
        match self {
            Exchange::Quic(e) => e
                .recv_frame_within(limit)
                .await
                .map(|r| r.map_err(LinkError::from)),
            Exchange::Ble(e, _) => e
                .recv_frame_within(limit)
                .await
                .map(|r| r.map(|m| m.map(owned)).map_err(LinkError::from)),
        }
    }

    /// Finishes this side after its last frame ([QUIC-6]).
    pub fn finish(&mut self) -> Result<(), LinkError> {
        match self {
            Exchange::Quic(e) => Ok(e.finish()?),
            Exchange::Ble(e, _) => Ok(e.finish()?),
        }
    }

    /// Waits until the peer has received everything this side sent and finished. A
    /// transport that cannot tell returns at once.
    pub async fn delivered(&mut self) -> Result<(), LinkError> {
        match self {
            Exchange::Quic(e) => Ok(e.delivered().await?),
            // The link delivers in order; an answer's END follows everything before it.
            Exchange::Ble(..) => Ok(()),
        }
    }

    /// Stops reading the peer's side with `code`, keeping this side's sending half as it is.
    /// A transport that cannot stop one direction alone abandons the exchange when `code` is
    /// an error, and otherwise only stops reading.
    pub fn stop(&mut self, code: ErrorCode) {
        match self {
            Exchange::Quic(e) => e.stop(code),
            Exchange::Ble(e, _) => {
                if code != ErrorCode::NO_ERROR {
                    e.reset(ble_code(code));
                }
            }
        }
    }

    /// Abandons the exchange in both directions with `code`.
    pub fn reset(&mut self, code: ErrorCode) {
        match self {
            Exchange::Quic(e) => e.reset(code),
            Exchange::Ble(e, _) => e.reset(ble_code(code)),
        }
    }

    /// Says that an Orbit session of `home` (`None`: a PASE session) was established or used
    /// on this exchange's connection; see [`Link::authenticate`](super::Link::authenticate).
    /// `true` on a client, and on a transport without a connection budget.
    pub fn authenticate(&self, home: Option<u64>) -> bool {
        match self {
            Exchange::Quic(e) => e.authenticate(home),
            Exchange::Ble(_, guard) => {
                guard.authenticate();
                true
            }
        }
    }

    /// Defers the unauthenticated deadline of this exchange's connection ([QUIC-40]) while
    /// the returned guard lives, for a pairing handshake that its own step deadlines bound.
    /// `None` on a client, and on a transport without such a deadline.
    pub fn defer_deadline(&self) -> Option<Deferral> {
        match self {
            Exchange::Quic(e) => e.defer_deadline().map(Deferral::Quic),
            Exchange::Ble(_, guard) => Some(Deferral::Ble(guard.defer())),
        }
    }
}

impl From<orbit_quic::Exchange> for Exchange {
    fn from(ex: orbit_quic::Exchange) -> Self {
        Exchange::Quic(ex)
    }
}
