//! One exchange on a link: a request and its answer, or one unsolicited message.

use super::{DeadlineDeferral, ErrorCode, FrameKind, LinkError, OwnedFrame};
use std::time::Duration;

/// An exchange on a [`Link`](super::Link): frames in order in both directions, each side
/// finishing after its last ([QUIC-6]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Exchange {
    /// A bidirectional QUIC stream.
    Quic(orbit_quic::Exchange),
}

impl Exchange {
    /// Sends one frame.
    pub async fn send_frame(&mut self, kind: FrameKind, payload: &[u8]) -> Result<(), LinkError> {
        match self {
            Exchange::Quic(e) => Ok(e.send_frame(kind, payload).await?),
        }
    }

    /// The next frame from the peer; `Ok(None)` once the peer has finished its side. A bad
    /// frame or a stall abandons the exchange and returns the error.
    pub async fn recv_frame(&mut self) -> Result<Option<OwnedFrame>, LinkError> {
        match self {
            Exchange::Quic(e) => Ok(e.recv_frame().await?),
        }
    }

    /// The next frame if it (or the end) has already arrived, without waiting: `None` when
    /// more must come. A later receive carries on where this one stopped.
    pub fn try_recv_frame(&mut self) -> Option<Result<Option<OwnedFrame>, LinkError>> {
        match self {
            Exchange::Quic(e) => e.try_recv_frame().map(|r| r.map_err(LinkError::from)),
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
        }
    }

    /// Finishes this side after its last frame ([QUIC-6]).
    pub fn finish(&mut self) -> Result<(), LinkError> {
        match self {
            Exchange::Quic(e) => Ok(e.finish()?),
        }
    }

    /// Waits until the peer has received everything this side sent and finished. A
    /// transport that cannot tell returns at once.
    pub async fn delivered(&mut self) -> Result<(), LinkError> {
        match self {
            Exchange::Quic(e) => Ok(e.delivered().await?),
        }
    }

    /// Stops reading the peer's side with `code`, keeping this side's sending half as it is.
    /// A transport that cannot stop one direction alone abandons the exchange when `code` is
    /// an error, and otherwise only stops reading.
    pub fn stop(&mut self, code: ErrorCode) {
        match self {
            Exchange::Quic(e) => e.stop(code),
        }
    }

    /// Abandons the exchange in both directions with `code`.
    pub fn reset(&mut self, code: ErrorCode) {
        match self {
            Exchange::Quic(e) => e.reset(code),
        }
    }

    /// Says that an Orbit session of `home` (`None`: a PASE session) was established or used
    /// on this exchange's connection; see [`Link::authenticate`](super::Link::authenticate).
    /// `true` on a client, and on a transport without a connection budget.
    pub fn authenticate(&self, home: Option<u64>) -> bool {
        match self {
            Exchange::Quic(e) => e.authenticate(home),
        }
    }

    /// Defers the unauthenticated deadline of this exchange's connection ([QUIC-40]) while
    /// the returned guard lives, for a pairing handshake that its own step deadlines bound.
    /// `None` on a client, and on a transport without such a deadline.
    pub fn defer_deadline(&self) -> Option<DeadlineDeferral> {
        match self {
            Exchange::Quic(e) => e.defer_deadline(),
        }
    }
}

impl From<orbit_quic::Exchange> for Exchange {
    fn from(ex: orbit_quic::Exchange) -> Self {
        Exchange::Quic(ex)
    }
}
